module example.test/cgo-greeting

go 1.25.0
