package postgres

import (
	"bytes"
	"crypto/sha256"

	"github.com/jackc/pgx/v5"

	"github.com/tldguard/tldguard"
)

const evidenceColumns = `id, report_id, sha256, size, media_type, filename, url, description`

func scanEvidence(row pgx.CollectableRow) (tldguard.Evidence, error) {
	var e tldguard.Evidence
	err := row.Scan(&e.ID, &e.ReportID, &e.SHA256, &e.Size, &e.MediaType, &e.Filename, &e.URL, &e.Description)
	return e, err
}

// InsertEvidence stores the item and, when content is given and not yet
// stored, the content under its SHA-256 (set on e when e has none; EINVALID
// when e's differs). It sets e.ID. Content stored once is never stored again,
// whoever sends it.
func (t *tx) InsertEvidence(e *tldguard.Evidence, content []byte) error {
	if content != nil {
		sum := sha256.Sum256(content)
		switch {
		case e.SHA256 == nil:
			old := e.SHA256
			t.onUndo(func() { e.SHA256 = old })
			e.SHA256 = sum[:]
		case !bytes.Equal(e.SHA256, sum[:]):
			return tldguard.FieldErrorf(tldguard.EINVALID, "sha256", "the evidence content does not match its SHA-256")
		}
		if _, err := t.exec("evidence content", `
			INSERT INTO evidence_content (sha256, content) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			e.SHA256, content); err != nil {
			return err
		}
	}
	var id int64
	err := t.tx.QueryRow(t.ctx, `
		INSERT INTO evidence (report_id, sha256, size, media_type, filename, url, description)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		e.ReportID, e.SHA256, e.Size, e.MediaType, e.Filename, e.URL, e.Description).Scan(&id)
	if err != nil {
		return t.fail(err, "evidence")
	}
	t.setID(&e.ID, id)
	return nil
}

// EvidenceContent returns the content stored under a SHA-256.
func (t *tx) EvidenceContent(sum []byte) ([]byte, error) {
	var content []byte
	err := t.tx.QueryRow(t.ctx, `SELECT content FROM evidence_content WHERE sha256 = $1`, sum).Scan(&content)
	if err != nil {
		return nil, t.fail(err, "evidence")
	}
	return content, nil
}

// EvidenceByCase returns the evidence of every report filed on the case, in
// the order it was stored.
func (t *tx) EvidenceByCase(caseID int64) ([]tldguard.Evidence, error) {
	rows, _ := t.tx.Query(t.ctx, `
		SELECT `+evidenceColumns+` FROM evidence
		WHERE report_id IN (SELECT report_id FROM report_cases WHERE case_id = $1)
		ORDER BY id`, caseID)
	items, err := pgx.CollectRows(rows, scanEvidence)
	return emptyNil(items), t.fail(err, "evidence")
}
