package tldguard

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// Event is one entry in the audit log: who did what, when, with what data.
// Events are written in the same transaction as the change they record and
// form a hash chain: each holds the hash of the one before it and a hash of
// its own content, so altering, removing or reordering any stored event
// breaks the chain at that point.
type Event struct {
	Seq      int64 // 1, 2, 3, ... with no gaps
	At       time.Time
	Actor    string // Principal.Actor()
	Action   string // e.g. "report.received", "case.opened"
	CaseID   int64  // 0 when the event is not about a case
	Subject  string // what the event is about, e.g. "report:17", "user:ana@nic.example"
	Data     []byte // JSON, hashed exactly as stored
	PrevHash []byte // Hash of event Seq-1; 32 zero bytes for the first
	Hash     []byte
}

// ZeroHash is the PrevHash of the first event.
var ZeroHash = make([]byte, sha256.Size)

// ComputeHash returns the hash of the event over PrevHash and its content.
// Every field is length-prefixed so no two different events encode alike.
// At must already be truncated (see Truncate).
func (e *Event) ComputeHash() []byte {
	h := sha256.New()
	h.Write([]byte("tldguard-event-v1\x00"))
	h.Write(e.PrevHash)
	var n [binary.MaxVarintLen64]byte
	field := func(b []byte) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))])
		h.Write(b)
	}
	field(strconv.AppendInt(nil, e.Seq, 10))
	field(strconv.AppendInt(nil, e.At.UnixMicro(), 10))
	field([]byte(e.Actor))
	field([]byte(e.Action))
	field(strconv.AppendInt(nil, e.CaseID, 10))
	field([]byte(e.Subject))
	field(e.Data)
	return h.Sum(nil)
}

// Seal sets PrevHash and Hash of e as the event after prev (nil for the
// first event) and gives it the next sequence number.
func (e *Event) Seal(prevSeq int64, prevHash []byte) {
	e.Seq = prevSeq + 1
	if prevHash == nil {
		prevHash = ZeroHash
	}
	e.PrevHash = append([]byte(nil), prevHash...)
	e.At = Truncate(e.At)
	e.Hash = e.ComputeHash()
}

// ChainHead is the position of the newest event. Exported and kept
// elsewhere, it makes a rewrite of the whole database detectable too.
type ChainHead struct {
	Seq  int64
	Hash []byte
}

// String formats the head as "SEQ:HEX".
func (h ChainHead) String() string { return fmt.Sprintf("%d:%s", h.Seq, hex.EncodeToString(h.Hash)) }

// ParseChainHead reads the form String writes.
func ParseChainHead(s string) (ChainHead, error) {
	var h ChainHead
	i := bytes.IndexByte([]byte(s), ':')
	if i <= 0 {
		return h, Errorf(EINVALID, "chain head %q is not SEQ:HASH", s)
	}
	seq, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || seq < 0 {
		return h, Errorf(EINVALID, "chain head %q has a bad sequence number", s)
	}
	hash, err := hex.DecodeString(s[i+1:])
	if err != nil || len(hash) != sha256.Size {
		return h, Errorf(EINVALID, "chain head %q has a bad hash", s)
	}
	return ChainHead{Seq: seq, Hash: hash}, nil
}

// ChainVerifier checks events fed to it in sequence order. It keeps only the
// previous event's hash, so a chain of any length verifies in constant memory.
type ChainVerifier struct {
	seq  int64
	hash []byte
	// Broken describes the first broken link; empty while the chain holds.
	Broken string
	// BrokenSeq is the sequence number of the first bad or missing event.
	BrokenSeq int64
}

// Add checks the next event. It returns false once the chain is broken.
func (v *ChainVerifier) Add(e *Event) bool {
	if v.Broken != "" {
		return false
	}
	prev := v.hash
	if prev == nil {
		prev = ZeroHash
	}
	switch {
	case e.Seq != v.seq+1:
		v.fail(v.seq+1, fmt.Sprintf("event %d is missing (next stored event is %d)", v.seq+1, e.Seq))
	case !bytes.Equal(e.PrevHash, prev):
		v.fail(e.Seq, fmt.Sprintf("event %d does not link to event %d (previous hash differs)", e.Seq, v.seq))
	case !bytes.Equal(e.ComputeHash(), e.Hash):
		v.fail(e.Seq, fmt.Sprintf("event %d was altered (its content does not match its hash)", e.Seq))
	default:
		v.seq, v.hash = e.Seq, e.Hash
		return true
	}
	return false
}

// Finish checks the end of the chain against the stored head (which the
// stores keep beside the events) and, if given, against an exported head.
// It returns the verified head.
func (v *ChainVerifier) Finish(stored ChainHead, exported *ChainHead) ChainHead {
	got := ChainHead{Seq: v.seq, Hash: v.hash}
	if v.Broken != "" {
		return got
	}
	if stored.Seq != v.seq || (v.seq > 0 && !bytes.Equal(stored.Hash, v.hash)) {
		if stored.Seq > v.seq {
			v.fail(v.seq+1, fmt.Sprintf("events %d to %d are missing (the chain head says %d)", v.seq+1, stored.Seq, stored.Seq))
		} else {
			v.fail(stored.Seq, fmt.Sprintf("the stored chain head (%d) does not match the last event (%d)", stored.Seq, v.seq))
		}
		return got
	}
	if exported != nil && exported.Seq > v.seq {
		v.fail(v.seq+1, fmt.Sprintf("the exported head %d is beyond the last stored event %d: events were removed", exported.Seq, v.seq))
	}
	return got
}

// CheckAnchor reports an exported head that does not match the event stored
// at its position: the database was rewritten since it was exported.
func (v *ChainVerifier) CheckAnchor(e *Event, anchor ChainHead) {
	if v.Broken == "" && e.Seq == anchor.Seq && !bytes.Equal(e.Hash, anchor.Hash) {
		v.fail(e.Seq, fmt.Sprintf("event %d differs from the exported chain head: the log was rewritten", e.Seq))
	}
}

func (v *ChainVerifier) fail(seq int64, msg string) {
	v.Broken, v.BrokenSeq = msg, seq
}

// ChainReport is the outcome of an audit verification.
type ChainReport struct {
	OK       bool   `json:"ok"`
	Events   int64  `json:"events"`
	Head     string `json:"head"`
	Broken   string `json:"broken,omitempty"`
	BrokenAt int64  `json:"broken_at,omitempty"`
}
