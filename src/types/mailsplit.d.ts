/** The part of mailsplit mailstream uses (the package ships no types): the Splitter stream. */
declare module 'mailsplit' {
  import { Transform } from 'node:stream';
  export class Splitter extends Transform {
    constructor(opts?: { ignoreEmbedded?: boolean; maxHeadSize?: number });
  }
}
