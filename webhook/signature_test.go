package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tldguard/tldguard"
)

func TestSignKnownAnswer(t *testing.T) {
	// HMAC-SHA256(key "secret", "1700000000.{}"), computed independently
	// with: printf '1700000000.{}' | openssl dgst -sha256 -hmac secret
	got := Sign([]byte("secret"), time.Unix(1700000000, 0), []byte("{}"))
	want := "t=1700000000,v1=" + knownMAC
	if got != want {
		t.Errorf("Sign = %s\nwant  %s", got, want)
	}
}

const knownMAC = "b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"action":"hold","domain":"a.example"}`)
	good := Sign(secret, now, body)
	sig := good[strings.Index(good, "v1=")+3:]
	other := Sign([]byte("another secret of thirty-two bytes!"), now, body)
	otherSig := other[strings.Index(other, "v1=")+3:]
	for _, tc := range []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error
		msg    string
	}{
		{"good", good, body, now, nil, ""},
		{"good, spaces and unknown keys", " t=1700000000 , v0=abc, v1=" + sig + " ", body, now, nil, ""},
		{"rotation: second v1 matches", "t=1700000000,v1=" + otherSig + ",v1=" + sig, body, now, nil, ""},
		{"inside the window, sender ahead", good, body, now.Add(-4 * time.Minute), nil, ""},
		{"inside the window, sender behind", good, body, now.Add(5 * time.Minute), nil, ""},
		{"stale", good, body, now.Add(5*time.Minute + time.Second), ErrStale, "more than 5m0s"},
		{"from the future", good, body, now.Add(-6 * time.Minute), ErrStale, "6m0s from now"},
		{"body changed", good, []byte(`{"action":"hold","domain":"b.example"}`), now, ErrBadSignature, "does not match"},
		{"timestamp changed", "t=1700000001,v1=" + sig, body, now, ErrBadSignature, "does not match"},
		{"other secret", other, body, now, ErrBadSignature, "does not match"},
		{"missing", "", body, now, ErrNoSignature, "missing"},
		{"no timestamp", "v1=" + sig, body, now, ErrBadSignature, "no timestamp"},
		{"no v1", "t=1700000000", body, now, ErrBadSignature, "no v1"},
		{"two timestamps", "t=1,t=1700000000,v1=" + sig, body, now, ErrBadSignature, "two timestamps"},
		{"not key=value", "t=1700000000,garbage", body, now, ErrBadSignature, "not key=value"},
		{"short v1", "t=1700000000,v1=abcd", body, now, ErrBadSignature, "not a hex SHA-256"},
		{"non-hex v1", "t=1700000000,v1=" + strings.Repeat("zz", 32), body, now, ErrBadSignature, "not a hex SHA-256"},
		{"signed timestamp", "t=+1700000000,v1=" + sig, body, now, ErrBadSignature, "not Unix seconds"},
		{"huge timestamp", "t=99999999999999999999,v1=" + sig, body, now, ErrBadSignature, "not Unix seconds"},
		{"long header", "t=1700000000,v1=" + sig + strings.Repeat(",x=y", 2000), body, now, ErrBadSignature, "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(secret, tc.header, tc.body, tc.now, 0)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
				t.Fatalf("Verify: %v, want EUNAUTHORIZED wrapping %v", err, tc.want)
			}
			if !strings.Contains(tldguard.ErrorMessage(err), tc.msg) {
				t.Errorf("message %q, want it to contain %q", tldguard.ErrorMessage(err), tc.msg)
			}
		})
	}
	if err := Verify(nil, good, body, now, 0); err == nil {
		t.Error("Verify with no secret accepted a signature")
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1700000000, 0)
	f.Add(Sign(secret, now, []byte("{}")), []byte("{}"))
	f.Add("t=1700000000,v1=00,v1=", []byte(""))
	f.Add("t=-1,v1="+strings.Repeat("0", 64), []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := Verify(secret, header, body, now, time.Minute)
		if err == nil {
			// Only a header carrying the real MAC for a time inside the
			// window may pass.
			for ts := now.Add(-time.Minute); !ts.After(now.Add(time.Minute)); ts = ts.Add(time.Second) {
				s := Sign(secret, ts, body)
				if strings.Contains(strings.ToLower(header), s[strings.Index(s, "v1=")+3:]) {
					return
				}
			}
			t.Fatalf("accepted %q", header)
		}
		if tldguard.ErrorKind(err) != tldguard.EUNAUTHORIZED {
			t.Fatalf("error of kind %s: %v", tldguard.ErrorKind(err), err)
		}
	})
}
