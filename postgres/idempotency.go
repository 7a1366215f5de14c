package postgres

import "github.com/tldguard/tldguard"

// Idempotent returns the answer stored for a reporter's Idempotency-Key.
func (t *tx) Idempotent(reporterID int64, key string) (*tldguard.IdempotencyRecord, error) {
	rec := new(tldguard.IdempotencyRecord)
	err := t.tx.QueryRow(t.ctx, `
		SELECT reporter_id, key, request_sha256, status, response, created_at
		FROM idempotency WHERE reporter_id = $1 AND key = $2`, reporterID, key).Scan(
		&rec.ReporterID, &rec.Key, &rec.RequestSHA256, &rec.Status, &rec.Response, scanTime(&rec.CreatedAt))
	if err != nil {
		return nil, t.fail(err, "idempotency key")
	}
	return rec, nil
}

// PutIdempotent stores the first answer to a key; ECONFLICT when taken.
func (t *tx) PutIdempotent(rec *tldguard.IdempotencyRecord) error {
	tag, err := t.exec("idempotency key", `
		INSERT INTO idempotency (reporter_id, key, request_sha256, status, response, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		rec.ReporterID, rec.Key, rec.RequestSHA256, rec.Status, rec.Response, ts(rec.CreatedAt))
	if err == nil && tag.RowsAffected() == 0 {
		return conflict("the idempotency key %q is taken", rec.Key)
	}
	return err
}
