package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tldguard/tldguard"
)

// A registrar's referral inbox: the cases on its own names that the
// registry referred to it, each with its answer clock and the form to
// answer. The service lists only the calling registrar's referrals and
// refuses an answer to anyone else's as if it did not exist.

// referralsPage is the data of GET /referrals.
type referralsPage struct {
	page
	Waiting  []referralItem
	Answered []referralItem
	Errors   map[string]string
}

// referralItem is one referral.
type referralItem struct {
	ID            int64
	Anchor        string
	CaseNumber    string
	Domain        string
	Threat        string
	Priority      string
	PriorityClass string
	Referred      *when
	Due           *when
	Clock         clock
	Answer        *answerView
	Confidential  bool

	CSRF     string
	Outcomes []option
	Detail   string
	Error    string // a refusal of the whole answer
	Errors   map[string]string
}

// uiReferrals answers GET /referrals.
func (s *Server) uiReferrals(w http.ResponseWriter, r *http.Request) error {
	pg, err := s.referralsPage(r)
	if err != nil {
		return err
	}
	pg.Notice = actionNotice(r)
	return s.render(w, http.StatusOK, "referrals", pg)
}

func (s *Server) referralsPage(r *http.Request) (*referralsPage, error) {
	if err := need(s.svc.Actions, "Actions"); err != nil {
		return nil, err
	}
	rs, err := s.svc.Actions.Referrals(r.Context())
	if err != nil {
		return nil, err
	}
	pg := &referralsPage{page: s.base(r, "Referrals")}
	now := s.now()
	for _, ref := range rs {
		a, c := ref.Action, ref.Case
		if a == nil || c == nil {
			continue
		}
		it := referralItem{
			ID: a.ID, Anchor: "referral-" + strconv.FormatInt(a.ID, 10), CaseNumber: c.Number(), Domain: c.Domain,
			Threat: threatText(c.ThreatType), Priority: priorityText(c.Priority), PriorityClass: "prio-" + string(c.Priority),
			Referred: at(a.DoneAt), Due: at(a.DueAt), Clock: deadlineClock(a.DueAt, a.Answer != nil, now), Confidential: c.Confidential,
			CSRF: formToken(r), Outcomes: outcomeOptions(""), Errors: map[string]string{},
		}
		if it.Referred == nil {
			it.Referred = at(a.ProposedAt)
		}
		if a.Answer != nil {
			it.Answer = &answerView{Outcome: outcomeText(a.Answer.Outcome), Detail: a.Answer.Detail, By: a.Answer.By, At: at(a.Answer.At)}
			pg.Answered = append(pg.Answered, it)
			continue
		}
		pg.Waiting = append(pg.Waiting, it)
	}
	return pg, nil
}

func outcomeOptions(selected string) []option {
	return options(selected,
		"mitigated", "Mitigated: we acted on the name or had the abuse removed",
		"no_action", "No action: we will not act (the registry then acts itself)")
}

// uiAnswerReferral answers POST /referrals/{id}/answer.
func (s *Server) uiAnswerReferral(w http.ResponseWriter, r *http.Request) error {
	if err := need(s.svc.Actions, "Actions"); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return tldguard.Errorf(tldguard.ENOTFOUND, "There is no referral %q.", r.PathValue("id"))
	}
	outcome := strings.TrimSpace(r.PostForm.Get("outcome"))
	detail := r.PostForm.Get("detail")
	errs := map[string]string{}
	switch {
	case outcome == "":
		errs["outcome"] = "Choose whether you mitigated the abuse or will take no action."
	case outcome != "mitigated" && outcome != "no_action":
		errs["outcome"] = "Choose one of the two answers."
	}
	switch {
	case strings.TrimSpace(detail) == "":
		errs["detail"] = "Say what you did, or why you will not act."
	case len(detail) > 4096:
		errs["detail"] = "The detail is longer than 4096 characters."
	}
	status := http.StatusBadRequest
	if len(errs) == 0 {
		a, err := s.svc.Actions.AnswerReferral(r.Context(), id, outcome, detail)
		if err == nil {
			done := "answered"
			if outcome == "no_action" {
				done = "answered-no"
			}
			return seeOther(w, r, "/referrals?done="+done+"&action="+strconv.FormatInt(a.ID, 10))
		}
		if !shownOnForm(err) {
			return err // ENOTFOUND for another registrar's referral: a 404 page
		}
		status = statusOf(tldguard.ErrorKind(err))
		switch f := tldguard.ErrorField(err); f {
		case "outcome", "detail":
			errs[f] = errorSentence(err)
		default:
			errs[""] = errorSentence(err)
		}
	}
	pg, err := s.referralsPage(r)
	if err != nil {
		return err
	}
	pg.Errors = map[string]string{}
	found := false
	for _, list := range [][]referralItem{pg.Waiting, pg.Answered} {
		for i := range list {
			it := &list[i]
			if it.ID != id {
				continue
			}
			found = true
			it.Outcomes, it.Detail = outcomeOptions(outcome), detail
			for f, msg := range errs {
				if f == "" {
					it.Error = msg
					pg.Errors[it.Anchor] = msg
					continue
				}
				it.Errors[f] = msg
				pg.Errors[f+"-"+strconv.FormatInt(id, 10)] = msg
			}
		}
	}
	if !found {
		return tldguard.Errorf(tldguard.ENOTFOUND, "There is no referral %d for you.", id)
	}
	return s.render(w, status, "referrals", pg)
}
