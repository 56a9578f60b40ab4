// A 5-step tour anchored to #step-1..#step-5 with shepherd.js, started as soon as it loads.
import Shepherd from 'shepherd.js';
import 'shepherd.js/dist/css/shepherd.css';

const tour = new Shepherd.Tour({ useModalOverlay: true, defaultStepOptions: { cancelIcon: { enabled: true } } });
for (let step = 1; step <= 5; step += 1) {
  tour.addStep({
    id: `step-${step}`,
    title: `Step ${step}`,
    text: `This is step ${step} of the tour.`,
    attachTo: { element: `#step-${step}`, on: 'bottom' },
    buttons: [{ text: 'Next', action: () => tour.next() }],
  });
}
tour.start();
