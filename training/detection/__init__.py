"""Face-detector data and training: COCO datasets (converted from Pascal VOC or dlib imglab XML),
Faster R-CNN training (torchvision or Detectron2) and COCO evaluation of any detector."""
