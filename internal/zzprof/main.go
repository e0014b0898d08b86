package main

import (
	"context"
	"os"
	"runtime/pprof"

	"github.com/hasgen/hasgen/generate"
)

func main() {
	f, _ := os.Create("/tmp/syn/cpu.prof")
	pprof.StartCPUProfile(f)
	_, err := generate.Generate(context.Background(), generate.Options{Snapshot: "/tmp/syn/schema.json", Config: "/tmp/syn/hasgen.yaml", Out: "/tmp/syn/out2", RuntimeReplace: "/work/main"})
	pprof.StopCPUProfile()
	if err != nil {
		panic(err)
	}
}
