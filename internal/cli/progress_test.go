package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestWithProgress: a long step prints a line every interval, and none
// after it returned; its error comes back.
func TestWithProgress(t *testing.T) {
	var b bytes.Buffer
	want := errors.New("build failed")
	err := withProgress(context.Background(), &b, 20*time.Millisecond, "still building", func() error {
		time.Sleep(110 * time.Millisecond)
		return want
	})
	if err != want {
		t.Errorf("err %v, want %v", err, want)
	}
	got := b.String()
	if n := strings.Count(got, "• still building ("); n < 3 {
		t.Errorf("%d progress lines in 110ms at 20ms, want at least 3:\n%s", n, got)
	}
	time.Sleep(60 * time.Millisecond)
	if b.String() != got {
		t.Errorf("progress after the step returned:\n%s", b.String())
	}
}
