module taroracle

go 1.19
