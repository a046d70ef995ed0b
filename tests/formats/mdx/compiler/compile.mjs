// Compile each MDX file named on stdin (one path a line) with the MDX compiler and
// remark-directive (":::note" asides); print "ok PATH" or "error PATH: message" for each.
import {compile} from '@mdx-js/mdx';
import remarkDirective from 'remark-directive';
import {readFile} from 'node:fs/promises';

const input = await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => { text += chunk; });
  process.stdin.on('end', () => resolve(text));
});
for (const path of input.split('\n').filter(Boolean)) {
  try {
    await compile(await readFile(path), {remarkPlugins: [remarkDirective]});
    console.log(`ok ${path}`);
  } catch (error) {
    console.log(`error ${path}: ${String(error.message).split('\n')[0]}`);
  }
}
