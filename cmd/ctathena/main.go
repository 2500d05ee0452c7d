// Command ctathena is the incident responder's CloudTrail tool; see root.go.
package main

import "os"

func main() {
	stop := startProfile()
	code := Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
