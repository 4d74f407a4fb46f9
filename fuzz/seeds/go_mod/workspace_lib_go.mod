module example.test/wslib

go 1.25.0
