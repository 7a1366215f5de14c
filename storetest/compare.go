package storetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/tldguard/tldguard"
)

var timeType = reflect.TypeFor[time.Time]()

// diff describes the first difference between got (read from a store) and
// want (what was written), or returns "". It compares exported fields only,
// times by instant after truncating want to the stores' precision (and
// requires got in UTC), and treats a nil slice or map as equal to an empty
// one: stores need not tell them apart.
func diff(got, want any) string {
	return diffValue("", reflect.ValueOf(got), reflect.ValueOf(want))
}

func diffValue(path string, g, w reflect.Value) string {
	if !g.IsValid() || !w.IsValid() {
		if g.IsValid() == w.IsValid() {
			return ""
		}
		return fmt.Sprintf("%s: got %v, want %v", where(path), g, w)
	}
	if g.Type() != w.Type() {
		return fmt.Sprintf("%s: got a %s, want a %s", where(path), g.Type(), w.Type())
	}
	if g.Type() == timeType {
		gt := g.Interface().(time.Time)
		wt := tldguard.Truncate(w.Interface().(time.Time))
		switch {
		case gt.IsZero() != wt.IsZero() || !gt.Equal(wt):
			return fmt.Sprintf("%s: got %s, want %s", where(path), fmtTime(gt), fmtTime(wt))
		case !gt.IsZero() && gt.Location() != time.UTC:
			return fmt.Sprintf("%s: got %s in location %q, want it in time.UTC", where(path), fmtTime(gt), gt.Location())
		}
		return ""
	}
	switch g.Kind() {
	case reflect.Pointer, reflect.Interface:
		if g.IsNil() || w.IsNil() {
			if g.IsNil() && w.IsNil() {
				return ""
			}
			return fmt.Sprintf("%s: got %s, want %s", where(path), nilOr(g), nilOr(w))
		}
		return diffValue(path, g.Elem(), w.Elem())
	case reflect.Struct:
		for i := range g.NumField() {
			f := g.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if d := diffValue(path+"."+f.Name, g.Field(i), w.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if g.Type().Elem().Kind() == reflect.Uint8 {
			if !bytes.Equal(g.Bytes(), w.Bytes()) {
				return fmt.Sprintf("%s: got bytes %s, want %s", where(path), fmtBytes(g.Bytes()), fmtBytes(w.Bytes()))
			}
			return ""
		}
		if g.Len() != w.Len() {
			return fmt.Sprintf("%s: got %d items, want %d", where(path), g.Len(), w.Len())
		}
		for i := range g.Len() {
			if d := diffValue(fmt.Sprintf("%s[%d]", path, i), g.Index(i), w.Index(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map, reflect.Array, reflect.Func, reflect.Chan:
		if g.Kind() == reflect.Map && g.Len() == 0 && w.Len() == 0 {
			return ""
		}
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			return fmt.Sprintf("%s: got %v, want %v", where(path), g, w)
		}
		return ""
	default:
		if !g.Equal(w) {
			return fmt.Sprintf("%s: got %#v, want %#v", where(path), g.Interface(), w.Interface())
		}
		return ""
	}
}

func where(path string) string {
	if path == "" {
		return "value"
	}
	return strings.TrimPrefix(path, ".")
}

func nilOr(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return "non-nil"
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "zero time"
	}
	return t.Format("2006-01-02T15:04:05.999999999Z07:00 (MST)")
}

func fmtBytes(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%x... (%d bytes)", b[:40], len(b))
	}
	return fmt.Sprintf("%x (%d bytes)", b, len(b))
}

func sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// ids returns the ids of cases, for comparing orders.
func caseIDs(cs []*tldguard.Case) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
