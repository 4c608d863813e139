// The nn API: Module, layers, CondConv layers and routers, models, init and summary.

export { Module, type Macs, type LoadResult } from './module.js';
export * from './init.js';
export { Sequential } from './layers/sequential.js';
export { Linear, type LinearOptions } from './layers/linear.js';
export { Conv2d, type Conv2dLayerOptions, type ConvLayerOptions, type ConvGeometryOptions } from './layers/conv2d.js';
export { DepthwiseConv2d, type DepthwiseConv2dOptions } from './layers/depthwise_conv2d.js';
export { BatchNorm2d, type BatchNorm2dLayerOptions } from './layers/batchnorm2d.js';
export { Dropout, type DropoutLayerOptions } from './layers/dropout.js';
export { ReLU, ReLU6, Sigmoid, Tanh, SiLU } from './layers/activations.js';
export { Flatten } from './layers/flatten.js';
export { MaxPool2d, AvgPool2d, GlobalAvgPool2d, type PoolLayerOptions, type AvgPoolLayerOptions } from './layers/pool.js';
export { Router, SigmoidRouter, SoftmaxRouter, createRouter, type RouterKind, type RouterOptions } from './router.js';
export { TemperatureSchedule, type TemperatureScheduleOptions } from './temperature.js';
export { CondConv2d, DepthwiseCondConv2d, type CondLayerOptions, type CondConv2dOptions as CondConv2dLayerOptions, type DepthwiseCondConv2dOptions } from './cond_conv.js';
export { CondLinear, type CondLinearOptions } from './cond_linear.js';
export { summary, type Summary, type SummaryRow, type SummaryOptions } from './summary.js';
export * from './models/index.js';
