// whatsapp-web.js pulls in puppeteer; its install step must not download a browser.
// The WhatsApp adapter launches the system Chromium (CHROMIUM_PATH) instead.
module.exports = { skipDownload: true };
