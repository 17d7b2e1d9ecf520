/**
 * The trust boundary. Eta compiles to JavaScript that runs in the renderer, so Eta content is accepted only
 * from the operator's own shell (the CLI); every other door (REST API, SMTP injection) is `external`.
 */
import { MailstreamError } from '../lib/errors.js';

/** Who is calling a producer: the operator's CLI, or anything else (the default). */
export type Trust = 'operator' | 'external';

/** Options every producer call takes. */
export interface ProducerCallOptions {
  /** The caller's trust; default `external`. */
  trust?: Trust;
}

/** Refuse `engine: eta` unless the caller is the operator. */
export function assertEngineAllowed(engine: string | null | undefined, opts: ProducerCallOptions = {}): void {
  if (engine === 'eta' && opts.trust !== 'operator') {
    throw new MailstreamError('MS_ERR_ENGINE_NOT_ALLOWED', 'content.engine: eta runs JavaScript and is accepted only from '
      + 'the operator\'s CLI (--engine eta); use the SparkPost template language');
  }
}
