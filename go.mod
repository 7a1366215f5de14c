module github.com/tldguard/tldguard

go 1.26.8
