// A chi HTTP service: the web process of the real-module fixtures.
package main

import (
	"fmt"
	"net/http"
	"os"
	"runtime"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

func main() {
	router := chi.NewRouter()
	router.Use(middleware.Recoverer)
	router.Get("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from chi, built with %s\n", runtime.Version())
	})
	router.Get("/greet/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s\n", chi.URLParam(r, "name"))
	})
	if err := http.ListenAndServe(":"+os.Getenv("PORT"), router); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
