package sqlite

import (
	"github.com/tldguard/tldguard"
)

// Idempotent returns the first answer to the reporter's key; ENOTFOUND when
// the key is new.
func (t *tx) Idempotent(reporterID int64, key string) (*tldguard.IdempotencyRecord, error) {
	rec := new(tldguard.IdempotencyRecord)
	err := t.queryRow(`SELECT reporter_id, key, request_sha256, status, response, created_at
		FROM idempotency WHERE reporter_id = ? AND key = ?`, reporterID, key).Scan(
		&rec.ReporterID, &rec.Key, &rec.RequestSHA256, &rec.Status, &rec.Response, timeCol{&rec.CreatedAt})
	if err != nil {
		return nil, dbError(err, "idempotency key")
	}
	return rec, nil
}

// PutIdempotent stores the first answer to a key; ECONFLICT when the
// reporter used the key already.
func (t *tx) PutIdempotent(rec *tldguard.IdempotencyRecord) error {
	_, err := t.exec(`INSERT INTO idempotency (reporter_id, key, request_sha256, status, response, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		rec.ReporterID, rec.Key, blob(rec.RequestSHA256), rec.Status, blob(rec.Response), micros(rec.CreatedAt))
	return dbError(err, "idempotency key")
}
