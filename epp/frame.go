package epp

import (
	"encoding/binary"
	"fmt"
	"io"
)

// headerLen is the size of the RFC 5734 data unit header: a 32-bit
// big-endian total length that counts the header itself.
const headerLen = 4

// errFrameTooLarge is returned for a data unit over the limit, in either
// direction. The connection must be dropped after it: the stream cannot
// be resynchronised without reading the whole unit.
type errFrameTooLarge struct {
	size, limit int64
	reading     bool
}

func (e *errFrameTooLarge) Error() string {
	dir := "command"
	if e.reading {
		dir = "response"
	}
	return fmt.Sprintf("EPP %s frame of %d bytes exceeds the limit of %d bytes", dir, e.size, e.limit)
}

// errBadFrame is a header that cannot describe an EPP data unit.
type errBadFrame struct{ size uint32 }

func (e *errBadFrame) Error() string {
	return fmt.Sprintf("EPP frame header announces %d bytes, fewer than its own %d", e.size, headerLen)
}

// writeFrame writes one data unit: header and XML in a single Write, so a
// TLS connection sends them in one record.
func writeFrame(w io.Writer, xml []byte, limit int) error {
	total := int64(len(xml)) + headerLen
	if total > int64(limit) || total > 1<<32-1 {
		return &errFrameTooLarge{size: total, limit: int64(limit)}
	}
	buf := make([]byte, headerLen, total)
	binary.BigEndian.PutUint32(buf, uint32(total))
	buf = append(buf, xml...)
	_, err := w.Write(buf)
	return err
}

// readFrame reads one data unit and returns its XML. A header announcing
// more than limit bytes is refused before anything is allocated for it.
func readFrame(r io.Reader, limit int) ([]byte, error) {
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	total := binary.BigEndian.Uint32(hdr[:])
	if total < headerLen {
		return nil, &errBadFrame{size: total}
	}
	if int64(total) > int64(limit) {
		return nil, &errFrameTooLarge{size: int64(total), limit: int64(limit), reading: true}
	}
	body := make([]byte, total-headerLen)
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return body, nil
}
