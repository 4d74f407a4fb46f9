// The worker does one unit of work and reports it, so tests can see it ran.
package main

import (
	"fmt"

	"example.test/multi/internal/greeting"
)

func main() {
	fmt.Println(greeting.For("worker") + ": job done")
}
