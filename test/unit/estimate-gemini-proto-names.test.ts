import { describe, expect, it } from 'vitest';
import { promptParts } from '../../src/usage/estimate-usage.js';

// Gemini's REST API takes fields by their proto names too (system_instruction, inline_data), as
// Google's curl examples write them, and the Gemini front door takes them (5c3f45c): the prompt
// estimate must read them as it reads the JSON names.
describe('prompt estimate of a Gemini body by proto names', () => {
  const image = 'iVBORw0KGgo'.repeat(1_000);

  it('skips inline_data and file_data payloads as it skips inlineData and fileData', () => {
    const camel = promptParts({
      contents: [
        {
          role: 'user',
          parts: [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: image } }],
        },
      ],
    });
    const proto = promptParts({
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'What is this?' },
            { inline_data: { mime_type: 'image/png', data: image } },
            { file_data: { mime_type: 'application/pdf', file_uri: 'gs://bucket/doc.pdf' } },
          ],
        },
      ],
    });
    expect(camel.parts).toEqual(['What is this?']);
    expect(proto.parts).toEqual(['What is this?']);
  });

  it('counts system_instruction as it counts systemInstruction', () => {
    const proto = promptParts({
      system_instruction: { parts: [{ text: 'Answer in French.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
    });
    expect(proto.parts).toEqual(['Hello', 'Answer in French.']);
  });
});
