// Command ctathena is the incident responder's CloudTrail tool; see root.go.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
