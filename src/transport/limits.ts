import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';

/** Query limits and production switches (hardened further in the hardening issue). */
export function securityPlugins(_config: Config): Plugin[] {
  return [];
}
