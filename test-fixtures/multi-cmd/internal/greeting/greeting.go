// Package greeting is shared by the web and worker binaries.
package greeting

// For names who is greeted by which process.
func For(process string) string {
	return "hello from the " + process + " process"
}
