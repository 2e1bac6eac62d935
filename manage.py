#!/usr/bin/env python
from fupin.__main__ import main

main()
