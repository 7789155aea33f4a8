"""`make bench`: load-test the main pages against a bare-Flask ceiling on a large data set."""
