// Package greeting says hello.
package greeting

// Hello greets name.
func Hello(name string) string {
	return "hello, " + name
}
