/**
 * The gateway's own stdout: Rust `tracing` in the compact format without targets
 * (`tracing_subscriber::fmt().with_target(false).compact()`, gateway-core/src/main.rs):
 *
 *   2025-06-01T10:00:00.123456Z  INFO WAF rule sqli-001 triggered: SQL injection attempt
 *
 * optionally with ANSI colours (tracing's default on a terminal) and entered span names before
 * the message (`request:proxy: `). The WAF's decisions become SECURITY records, with the
 * wording of gateway-waf/src/engine.rs and gateway-core/src/proxy.rs:
 *
 * | line                                 | level | action_taken |
 * | ------------------------------------ | ----- | ------------ |
 * | `WAF rule <id> triggered: <message>` | INFO  | logged       |
 * | `ModSecurity triggered: <message>`   | INFO  | logged       |
 * | `Request blocked by WAF: <reason>`   | WARN  | blocked      |
 * | `Request rate limited: <reason>`     | WARN  | rate_limited |
 *
 * ModSecurity messages end in `(Rule ID: <id>)` (modsecurity_engine.rs), which gives the rule;
 * OWASP CRS rule numbers give the threat type. Any other well-formed line is a SYSTEM record
 * (ERROR_LOG at ERROR level) carrying its message; a line without the timestamp and level is
 * malformed.
 */
import {
  emptyEntry,
  emptySecurity,
  levelFromName,
  LogLevel,
  LogType,
  malformed,
  nanosFromRfc3339,
  parsed,
  type ParseResult,
} from './log-entry.js';

/** Colour codes (ESC [ ... m), which tracing writes when stdout looked like a terminal. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const LINE = /^(\S+)\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$/;
/** Span names (`request:proxy: `) or a target (`gateway_waf::engine: `) before the message. */
const PREFIX = '^(?:[A-Za-z_][\\w:]*: )*';
const WAF_RULE = new RegExp(`${PREFIX}WAF rule (\\S+) triggered: (.*)$`);
const MODSECURITY = new RegExp(`${PREFIX}ModSecurity triggered: (.*)$`);
const BLOCKED = new RegExp(`${PREFIX}Request blocked by WAF: (.*)$`);
const RATE_LIMITED = new RegExp(`${PREFIX}Request rate limited: (.*)$`);
const RULE_ID_SUFFIX = /\(Rule ID: ([^)\s]+)\)\s*$/;

/** OWASP Core Rule Set files by the first three digits of a rule id. */
const CRS_THREATS: Readonly<Record<string, string>> = {
  '913': 'scanner',
  '920': 'protocol_violation',
  '921': 'protocol_attack',
  '930': 'path_traversal',
  '931': 'remote_file_inclusion',
  '932': 'remote_code_execution',
  '933': 'php_injection',
  '934': 'generic_injection',
  '941': 'xss',
  '942': 'sql_injection',
  '943': 'session_fixation',
  '944': 'java_injection',
};

export function threatTypeOfRule(ruleId: string): string {
  return /^\d{6}$/.test(ruleId) ? (CRS_THREATS[ruleId.slice(0, 3)] ?? '') : '';
}

interface WafEvent {
  readonly ruleId: string;
  readonly description: string;
  readonly action: 'logged' | 'blocked' | 'rate_limited';
}

function wafEvent(message: string): WafEvent | undefined {
  const rule = WAF_RULE.exec(message);
  if (rule) return { ruleId: rule[1] ?? '', description: rule[2] ?? '', action: 'logged' };
  const withRuleId = (text: string, action: WafEvent['action']): WafEvent => {
    const id = RULE_ID_SUFFIX.exec(text);
    return { ruleId: id?.[1] ?? '', description: text, action };
  };
  const modsecurity = MODSECURITY.exec(message);
  if (modsecurity) return withRuleId(modsecurity[1] ?? '', 'logged');
  const blocked = BLOCKED.exec(message);
  if (blocked) return withRuleId(blocked[1] ?? '', 'blocked');
  const limited = RATE_LIMITED.exec(message);
  if (limited) return { ruleId: '', description: limited[1] ?? '', action: 'rate_limited' };
  return undefined;
}

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export function parseTracingLine(line: string): ParseResult {
  const match = LINE.exec(stripAnsi(line));
  if (!match) return malformed('not a tracing line (TIMESTAMP LEVEL message)');
  const [, time = '', levelName = '', message = ''] = match;
  const timestamp = nanosFromRfc3339(time);
  if (timestamp === undefined) return malformed(`timestamp ${time} is not RFC 3339`);
  const entry = emptyEntry();
  entry.timestamp = timestamp;
  entry.level = levelFromName(levelName) ?? LogLevel.LOG_LEVEL_INFO;
  entry.message = message.trimEnd();
  const event = wafEvent(entry.message);
  if (event) {
    entry.logType = LogType.LOG_TYPE_SECURITY;
    entry.securityData = {
      ...emptySecurity(),
      ruleId: event.ruleId,
      ruleDescription: event.description,
      actionTaken: event.action,
      threatType: threatTypeOfRule(event.ruleId),
    };
  } else {
    entry.logType =
      entry.level >= LogLevel.LOG_LEVEL_ERROR ? LogType.LOG_TYPE_ERROR_LOG : LogType.LOG_TYPE_SYSTEM;
  }
  return parsed(entry);
}
