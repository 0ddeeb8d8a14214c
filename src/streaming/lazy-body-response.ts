/**
 * A Response whose streamed body is built on first use. A relayed stream on Node never uses it:
 * the server takes the relay and writes to the socket itself (runtime/node/relay-to-node.ts), so
 * building the Web stream up front cost a ReadableStream (Node makes every one transferable, a few
 * µs each) and the Response's body extraction, per streamed answer, for nothing. Anyone who reads
 * `body`, or the body through `text()` and the like, gets it as from a plain Response.
 */
export class LazyBodyResponse extends Response {
  readonly #make: () => ReadableStream<Uint8Array>;
  #web: ReadableStream<Uint8Array> | null = null;
  #used = false;

  constructor(make: () => ReadableStream<Uint8Array>, init: ResponseInit) {
    super(null, init);
    this.#make = make;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#web ??= this.#make();
    return this.#web as ReadableStream<Uint8Array<ArrayBuffer>>;
  }

  override get bodyUsed(): boolean {
    return this.#used || (this.#web?.locked ?? false);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read().arrayBuffer();
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await this.#read().arrayBuffer());
  }

  override async text(): Promise<string> {
    return this.#read().text();
  }

  override async json(): Promise<unknown> {
    return this.#read().json();
  }

  override async blob(): Promise<Blob> {
    return this.#read().blob();
  }

  override async formData(): Promise<FormData> {
    return this.#read().formData();
  }

  override clone(): Response {
    const [mine, theirs] = this.body.tee();
    this.#web = mine;
    return new Response(theirs, this.#init());
  }

  /** A plain Response over the body, read once, as this one's body would be (a second read rejects). */
  #read(): Response {
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    const plain = new Response(this.body, this.#init());
    this.#used = true;
    return plain;
  }

  #init(): ResponseInit {
    return { status: this.status, statusText: this.statusText, headers: this.headers };
  }
}
