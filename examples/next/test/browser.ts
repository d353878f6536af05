export { describeInChromium, launchChromium } from '@livedata/test-chromium'
