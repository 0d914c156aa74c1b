#!/usr/bin/env node
// qsenctl: a committed entry so npm links the command at install time, before the build exists.
import '../dist/src/main.js';
