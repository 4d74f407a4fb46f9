module example.test/benchdeps

go 1.26.0

require (
	example.test/banner v1.0.0
	example.test/greeting v1.0.0
)
