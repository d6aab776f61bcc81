"""What a page looks like on a phone (360x740) to a thumb: shared by the phone-layout tests."""

PHONE = {"width": 360, "height": 740}
MIN_TARGET_PX = 44  # WCAG 2.5.5

#: What the page looks like to a thumb: its width, the header's height, and the tap targets
#: smaller than 44x44 px. A tick box or radio button inside its label is as big as the label.
PROBE = """(minimum) => {
  const small = [];
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(targets)) {
    const box = el.matches('input[type=radio], input[type=checkbox]') && el.closest('label') || el;
    const rect = box.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || getComputedStyle(box).visibility === 'hidden') continue;
    const sentence = el.tagName === 'A' && el.closest('p');
    if (sentence && sentence.textContent.trim().length > el.textContent.trim().length + 2) continue;
    if (rect.width < minimum || rect.height < minimum) {
      const name = el.tagName.toLowerCase() + (el.type ? '[' + el.type + ']' : '');
      const label = (el.textContent || el.name || '').trim().slice(0, 20);
      small.push(`${name} ${Math.round(rect.width)}x${Math.round(rect.height)} "${label}"`);
    }
  }
  const header = document.querySelector('header.topbar');
  return {
    width: document.documentElement.scrollWidth,
    header: header ? Math.round(header.getBoundingClientRect().height) : 0,
    small: small,
    links: [...document.querySelectorAll('a[href^="/"]:not([download])')]
      .map(a => a.getAttribute('href').split(/[?#]/)[0]),
  };
}"""
