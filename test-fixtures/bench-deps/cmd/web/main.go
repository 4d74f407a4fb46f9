// A web app that depends on two modules from the test GOPROXY: the benchmark fixture.
package main

import (
	"fmt"
	"net/http"
	"os"

	"example.test/banner"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, banner.For("bench-deps"))
	})
	if err := http.ListenAndServe(":"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
