package webhook_test

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/tldguard/tldguard/webhook"
)

// A receiver in the operator's system checks each request's signature
// before reading it, and applies each reference at most once.
func ExampleVerify() {
	secret := []byte("the secret shared with tldguard, 32 bytes or more")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /tldguard", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var req webhook.ApplyRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// ... look req.Reference up; apply the change once; answer:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(webhook.ApplyResponse{Applied: true, Detail: "done"})
	})
	_ = mux // served with http.ListenAndServeTLS in the operator's system
}
