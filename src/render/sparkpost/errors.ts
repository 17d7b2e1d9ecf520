/** The engine's two error types: syntax (at compile, SparkPost code 3000) and render (per recipient, code 3001). */
import { MailstreamError } from '../../lib/errors.js';

/** Where in a part an error is: 1-based line and column. */
export interface Position { part: string; line: number; column: number }

/** A template that does not parse; refused when stored (SparkPost code 3000). */
export class TemplateSyntaxError extends MailstreamError {
  readonly part: string;
  readonly line: number;
  readonly column: number;
  /** SparkPost's error code for the same failure. */
  readonly sparkpostCode = 3000;
  constructor(at: Position, reason: string) {
    super('MS_ERR_TEMPLATE_SYNTAX', `${at.part} ${at.line}:${at.column}: ${reason}`);
    this.name = 'TemplateSyntaxError';
    this.part = at.part;
    this.line = at.line;
    this.column = at.column;
  }
}

/** A render that failed for one recipient: bad data, a missing snippet or a limit passed (SparkPost code 3001). */
export class TemplateRenderError extends MailstreamError {
  readonly part: string;
  readonly line: number;
  readonly column: number;
  /** SparkPost's error code for the same failure. */
  readonly sparkpostCode = 3001;
  constructor(at: Position, reason: string) {
    super('MS_ERR_TEMPLATE_RENDER', `${at.part} ${at.line}:${at.column}: ${reason}`);
    this.name = 'TemplateRenderError';
    this.part = at.part;
    this.line = at.line;
    this.column = at.column;
  }
}
