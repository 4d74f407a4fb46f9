module example.test/multi

go 1.26.0
