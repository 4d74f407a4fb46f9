module example.test/withtools

go 1.25.0

tool example.test/stamp

require example.test/stamp v1.0.0
