package pgtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// LoadFiles runs SQL scripts (pg_dump output included: COPY ... FROM stdin,
// psql meta-commands) against the database at dbURL with psql, stopping at
// the first error. Statements that only make sense on the scripts' original
// server are left out: CREATE/DROP DATABASE, \c, and ALTER ... OWNER TO.
func (s *Server) LoadFiles(ctx context.Context, dbURL string, files ...string) error {
	psql, err := s.psql()
	if err != nil {
		return err
	}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("pgtest: load: %w", err)
		}
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dbURL, "-f", "-")
		cmd.Env = append(os.Environ(), "PGOPTIONS=-c client_min_messages=warning", "PGTZ=UTC")
		pr, pw := io.Pipe()
		cmd.Stdin = pr
		cmd.Stdout = io.Discard
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			f.Close()
			return fmt.Errorf("pgtest: load %s: %w", file, err)
		}
		go func() {
			pw.CloseWithError(filterScript(f, pw))
		}()
		err = cmd.Wait()
		pr.Close()
		f.Close()
		if err != nil {
			return fmt.Errorf("pgtest: load %s: %w: %s", filepath.Base(file), err, strings.TrimSpace(stderr.String()))
		}
	}
	return nil
}

// LoadSQL runs sql against the database at dbURL, like LoadFiles.
func (s *Server) LoadSQL(ctx context.Context, dbURL, sql string) error {
	f, err := os.CreateTemp("", "hasgen-*.sql")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(sql); err != nil {
		f.Close()
		return err
	}
	f.Close()
	return s.LoadFiles(ctx, dbURL, f.Name())
}

func (s *Server) psql() (string, error) {
	if s.BinDir != "" {
		p := filepath.Join(s.BinDir, "psql")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("psql"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("pgtest: psql not found: install the PostgreSQL client (Debian/Ubuntu: apt install postgresql-client)")
}

var skipLine = regexp.MustCompile(`(?i)^\s*(DROP DATABASE\b.*;|CREATE DATABASE\b.*;|\\c(onnect)?\s.*|ALTER\s+[A-Z ]+\s.*\sOWNER TO\s.*;)\s*$`)

// filterScript copies a script, leaving out the lines skipLine matches. Data
// lines of COPY blocks are copied as they are.
func filterScript(r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	bw := bufio.NewWriterSize(w, 1<<16)
	inCopy := false
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case inCopy:
			if bytes.Equal(line, []byte(`\.`)) {
				inCopy = false
			}
		case bytes.HasPrefix(line, []byte("COPY ")) && bytes.HasSuffix(bytes.TrimSpace(line), []byte("FROM stdin;")):
			inCopy = true
		case skipLine.Match(line):
			continue
		}
		bw.Write(line)
		bw.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}
