package introspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// WriteSnapshot writes s to w as indented JSON ending in a newline. It sorts
// s (see Sort) and sets its Version to SnapshotVersion first, so the same
// schema always gives the same bytes.
func WriteSnapshot(w io.Writer, s *Schema) error {
	s.Version = SnapshotVersion
	s.Sort()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Check definitions and defaults are SQL: keep "<" and "&" readable.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("introspect: write snapshot: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("introspect: write snapshot: %w", err)
	}
	return nil
}

// ReadSnapshot reads a snapshot written by WriteSnapshot. It rejects a
// snapshot of another version, unknown fields and anything after the JSON
// value, and returns the schema sorted.
func ReadSnapshot(r io.Reader) (*Schema, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	// Check the version before the fields: a newer snapshot may well have
	// fields this version does not know.
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("introspect: read snapshot: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("introspect: read snapshot: unexpected data after the snapshot")
	}
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("introspect: read snapshot: %w", err)
	}
	switch {
	case head.Version == nil:
		return nil, errors.New("introspect: read snapshot: no version: not a hasgen snapshot")
	case *head.Version != SnapshotVersion:
		return nil, fmt.Errorf("introspect: read snapshot: version %d is not supported (this hasgen reads version %d; regenerate the snapshot)",
			*head.Version, SnapshotVersion)
	}
	dec = json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var s Schema
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("introspect: read snapshot: %w", err)
	}
	s.Sort()
	return &s, nil
}

// LoadSnapshotFile reads the snapshot at path (see ReadSnapshot). Errors
// name the file.
func LoadSnapshotFile(path string) (*Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	defer f.Close()
	s, err := ReadSnapshot(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
