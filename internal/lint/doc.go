// Package lint holds repository-wide checks that run with the unit tests:
// the import-direction rule of DESIGN.md section 2.
package lint
