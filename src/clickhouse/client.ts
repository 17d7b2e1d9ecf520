/** The ClickHouse client, set up to work with both Debian's 18.16 and current ClickHouse. */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';

/** A client for `cfg`'s ClickHouse; `database: null` connects without selecting a database (for CREATE DATABASE). */
export function createClickhouse(cfg: Pick<Config, 'clickhouseUrl' | 'clickhouseDatabase' | 'clickhouseUser' | 'clickhousePassword'>
  & Partial<Pick<Config, 'clickhouseCa'>>, database: string | null = cfg.clickhouseDatabase): ClickHouseClient {
  return createClient({
    // an https URL is checked against CLICKHOUSE_CA when given (else the system CAs)
    ...(cfg.clickhouseCa && cfg.clickhouseUrl.startsWith('https:') ? { tls: { ca_cert: readFileSync(cfg.clickhouseCa) } } : {}),
    url: cfg.clickhouseUrl,
    username: cfg.clickhouseUser,
    password: cfg.clickhousePassword,
    ...(database ? { database } : {}),
    request_timeout: 60000,
    compression: { request: false, response: false },
  });
}
