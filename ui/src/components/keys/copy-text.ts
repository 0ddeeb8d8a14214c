/**
 * Copies text to the clipboard: the Clipboard API when the page may use it (HTTPS or
 * localhost), else a hidden textarea and the older copy command (plain-HTTP deployments).
 * `container`: where the textarea goes; inside an open modal, pass an element of the modal so
 * its focus trap does not take the focus away.
 */
export async function copyText(text: string, container?: HTMLElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the textarea
  }
  return copyWithTextarea(text, container ?? document.body);
}

function copyWithTextarea(text: string, container: HTMLElement): boolean {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.top = '-1000px';
  area.style.opacity = '0';
  container.appendChild(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}
