package sqlite

import (
	"bytes"
	"crypto/sha256"
	"errors"

	"github.com/tldguard/tldguard"
)

const evidenceColumns = "id, report_id, sha256, size, media_type, filename, url, description"

func scanEvidence(row interface{ Scan(...any) error }) (tldguard.Evidence, error) {
	var e tldguard.Evidence
	err := row.Scan(&e.ID, &e.ReportID, &e.SHA256, &e.Size, &e.MediaType, &e.Filename, &e.URL, &e.Description)
	return e, err
}

// InsertEvidence stores the item and, when content is given and not yet
// stored, the content under its SHA-256 (which it sets on e if nil). It
// sets e.ID. A SHA-256 that does not match content is refused (EINTERNAL):
// storing it would break "stored by SHA-256".
func (t *tx) InsertEvidence(e *tldguard.Evidence, content []byte) error {
	if content != nil {
		sum := sha256.Sum256(content)
		switch {
		case e.SHA256 == nil:
			e.SHA256 = sum[:]
		case !bytes.Equal(e.SHA256, sum[:]):
			return tldguard.Internal(errors.New("the SHA-256 does not match the content"), "insert evidence")
		}
		_, err := t.exec("INSERT INTO evidence_content (sha256, content) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING",
			e.SHA256, blob(content))
		if err != nil {
			return dbError(err, "evidence content")
		}
	}
	var sum any
	if len(e.SHA256) > 0 {
		sum = e.SHA256
	}
	id, err := t.insert("evidence", `INSERT INTO evidence (report_id, sha256, size, media_type, filename, url, description)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.ReportID, sum, e.Size, e.MediaType, e.Filename, e.URL, e.Description)
	if err != nil {
		return err
	}
	e.ID = id
	return nil
}

// EvidenceContent returns stored content by its SHA-256; ENOTFOUND when
// there is none.
func (t *tx) EvidenceContent(sum []byte) ([]byte, error) {
	var b []byte
	if err := t.queryRow("SELECT content FROM evidence_content WHERE sha256 = ?", sum).Scan(&b); err != nil {
		return nil, dbError(err, "evidence content")
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// EvidenceByCase returns the evidence of the reports filed on the case,
// each item once, oldest first.
func (t *tx) EvidenceByCase(caseID int64) ([]tldguard.Evidence, error) {
	rows, err := t.query(`SELECT `+evidenceColumns+` FROM evidence
		WHERE report_id IN (SELECT report_id FROM report_cases WHERE case_id = ?) ORDER BY id`, caseID)
	if err != nil {
		return nil, dbError(err, "evidence")
	}
	defer rows.Close()
	var out []tldguard.Evidence
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, dbError(err, "evidence")
		}
		out = append(out, e)
	}
	return out, dbError(rows.Err(), "evidence")
}
