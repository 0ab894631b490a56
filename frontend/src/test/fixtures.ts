import type { Member, Prediction } from "../api/client";

export const MEMBERS: Member[] = [
  { name: "howard", enrolled_faces: 5, hidden: false, threshold: 0.83, validation: { precision: 1, recall: 1, faces: 1 } },
  { name: "raj", enrolled_faces: 5, hidden: false, threshold: 0.8, validation: { precision: 1, recall: 0.5, faces: 2 } },
];

export const PREDICTION: Prediction = {
  width: 1000,
  height: 500,
  faces: [
    { box: [100, 100, 200, 200], score: 1.2, member: "raj", probabilities: { raj: 0.92, howard: 0.03 }, crop: "AAAA" },
    { box: [600, 120, 700, 220], score: 0.9, member: null, probabilities: { raj: 0.1, howard: 0.4 }, crop: "BBBB" },
  ],
  present: ["raj"],
  timings_ms: { decode: 1, detect: 2, classify: 3, total: 6 },
};
