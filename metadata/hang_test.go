package metadata

import (
	"math/rand"
	"os"
	"testing"
	"testing/fstest"
	"time"
)

func TestHangHunt(t *testing.T) {
	if os.Getenv("HANG") == "" {
		return
	}
	seeds := []string{blogTables, full, "x: &a [*a, *a]\n- *a\n", "- \"!include b.yaml\"\n- table: !include b.yaml\n"}
	r := rand.New(rand.NewSource(1))
	s := blog()
	for i := 0; i < 20000; i++ {
		b := []byte(seeds[r.Intn(len(seeds))])
		for k := 0; k < 1+r.Intn(4); k++ {
			switch r.Intn(3) {
			case 0:
				if len(b) > 0 {
					p := r.Intn(len(b))
					b = append(b[:p], b[p+1:]...)
				}
			case 1:
				p := r.Intn(len(b) + 1)
				c := "{}[]:,-&*!\"' \n\t#|>?x"[r.Intn(20)]
				b = append(b[:p], append([]byte{c}, b[p:]...)...)
			case 2:
				if len(b) > 0 {
					b[r.Intn(len(b))] = "{}[]:,-&*!\"' \n\t#|>?x"[r.Intn(20)]
				}
			}
		}
		done := make(chan bool)
		go func() {
			LoadFS(fstest.MapFS{"a.yaml": {Data: b}, "b.yaml": {Data: []byte("table: orgs\n")}}, "a.yaml", s)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			os.WriteFile("/tmp/hang/input.yaml", b, 0o644)
			t.Fatalf("hang on input %d:\n%q", i, b)
		}
	}
}
