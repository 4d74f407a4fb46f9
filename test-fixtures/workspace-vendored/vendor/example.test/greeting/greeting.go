// Package greeting says hello.
package greeting

// Hello greets name, the v1.1.0 way.
func Hello(name string) string {
	return "hello, " + name + " (greeting v1.1.0)"
}
