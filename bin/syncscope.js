#!/usr/bin/env node
// The `syncscope` command. Server code is TypeScript, loaded through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../cli/index.ts');
