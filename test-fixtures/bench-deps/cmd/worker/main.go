// A worker of the benchmark fixture: it uses the indirect dependency directly.
package main

import (
	"fmt"

	"example.test/greeting"
)

func main() {
	fmt.Println(greeting.Hello("bench-deps worker"))
}
