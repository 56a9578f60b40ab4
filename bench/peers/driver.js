// A 5-step tour anchored to #step-1..#step-5 with driver.js, started as soon as it loads.
import { driver } from 'driver.js';
import 'driver.js/dist/driver.css';

const steps = [1, 2, 3, 4, 5].map((step) => ({
  element: `#step-${step}`,
  popover: { title: `Step ${step}`, description: `This is step ${step} of the tour.`, side: 'bottom' },
}));
driver({ showProgress: true, steps }).drive();
