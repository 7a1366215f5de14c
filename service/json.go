package service

import "encoding/json"

// mustJSON encodes audit-event data. The values are the service's own maps
// and structs, so a failure is a programming error.
func mustJSON(v any) []byte {
	if v == nil {
		return []byte("{}")
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("service: audit data does not encode: " + err.Error())
	}
	return b
}
